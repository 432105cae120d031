// The default pipeline (DESIGN.md §4): stages as labels, each owned by one role.
export interface StageDef {
  label: string
  owner: string | null
  title: string
  description: string
  color: string
  next: string[]
}

export const DEFAULT_STAGES: readonly StageDef[] = [
  { label: 'backlog', owner: 'pm', title: 'Backlog', description: 'PM triages: type, priority, acceptance criteria', color: 'ededed', next: ['needs-architecture'] },
  { label: 'needs-architecture', owner: 'architect', title: 'Architecture', description: 'Architect plans: files, approach, risks, test plan', color: 'c5def5', next: ['ready-for-dev'] },
  { label: 'ready-for-dev', owner: 'engineer', title: 'Ready for dev', description: 'Engineer claims the issue', color: 'bfdadc', next: ['in-progress'] },
  { label: 'in-progress', owner: 'engineer', title: 'In progress', description: 'Engineer branches, commits and pushes', color: 'fbca04', next: ['needs-testing'] },
  { label: 'needs-testing', owner: 'tester', title: 'Testing', description: 'Tester runs the tests on the PR', color: 'd4c5f9', next: ['needs-review', 'ready-for-dev'] },
  { label: 'needs-review', owner: null, title: 'Review', description: 'A person reviews and merges the PR', color: '0e8a16', next: ['done', 'ready-for-dev'] },
  { label: 'done', owner: null, title: 'Done', description: 'Merged and closed', color: '5319e7', next: [] }
]
