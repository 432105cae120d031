// Addresses of the issue and PR pages, free of the DOM: pure modules
// (lib/card-todo.ts) and their Node tests use them too. route.ts re-exports them.
export const issueHref = (repoId: number, number: number): string => `#/issue/${repoId}/${number}`
export const prHref = (repoId: number, number: number): string => `#/pr/${repoId}/${number}`
