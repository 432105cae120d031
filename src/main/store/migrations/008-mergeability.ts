// Migration 8 — whether each open agent PR still merges, as GitHub says
// (`mergeable`, `mergeable_state`: clean, dirty (conflicts), blocked,
// unstable, behind, unknown while GitHub computes it), and the base commit
// that answer is for: a PR that no longer merges because the default branch
// moved goes back to the Engineer to bring its branch up to date, once per
// (head, base) pair (`signals`, kind `conflict`).
export default /* sql */ `
ALTER TABLE pulls ADD COLUMN mergeable INTEGER;
ALTER TABLE pulls ADD COLUMN mergeable_state TEXT;
ALTER TABLE pulls ADD COLUMN base_sha TEXT;
`
