// How a role is named to people ("PM", "Engineer"); an instance (`engineer-2`)
// is its role's. The dashboard shows a role's comment under this name.
const ROLE_TITLE: Record<string, string> = {
  pm: 'PM',
  architect: 'Architect',
  engineer: 'Engineer',
  tester: 'Tester',
  marketing: 'Marketing',
  community: 'Community'
}

export const roleTitle = (role: string): string => ROLE_TITLE[role.replace(/-\d+$/, '')] ?? role
