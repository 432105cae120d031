// How a role is named to people ("PM", "Engineer"); an instance (`engineer-2`)
// is its role's. The dashboard shows a role's comment under this name.
const ROLE_TITLE: Record<string, string> = {
  pm: 'PM',
  architect: 'Architect',
  engineer: 'Engineer',
  tester: 'Tester',
  marketing: 'Marketing',
  community: 'Community',
  // Not agents: a person's answer Baton posted for them, and Baton's own notes (a branch update).
  person: 'Person',
  baton: 'Baton'
}

export const roleTitle = (role: string): string => ROLE_TITLE[role.replace(/-\d+$/, '')] ?? role
