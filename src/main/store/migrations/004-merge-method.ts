// Migration 4 — how a person merges in each repository: the method last chosen
// (NULL: the first one the repository allows).
export default /* sql */ `
ALTER TABLE repos ADD COLUMN merge_method TEXT CHECK (merge_method IN ('merge', 'squash', 'rebase'));
`
