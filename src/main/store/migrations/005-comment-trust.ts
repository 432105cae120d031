// Migration 5 — who wrote each comment, as GitHub says (OWNER, MEMBER,
// COLLABORATOR, CONTRIBUTOR, NONE, …): the trigger marks every comment with
// it and whether the trust policy trusts it (DESIGN.md §9). Comments mirrored
// before this read as NONE until GitHub sends them again: untrusted, never
// trusted by mistake.
export default /* sql */ `
ALTER TABLE comments ADD COLUMN author_association TEXT NOT NULL DEFAULT 'NONE';
`
