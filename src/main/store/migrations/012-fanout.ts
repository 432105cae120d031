// Migration 12 — capability routing's fan-out (issue #15, pipeline/fanout.ts):
// a stage routed `all` runs one parent task (no agent of its own) and one
// child task per capable online instance, each dispatched to its instance.
// - tasks.parent_task: a child's parent (NULL for every other task);
// - tasks.fanout_index / fanout_of: the child's place, 1..of, in its round;
// - tasks.parent_attempt: the parent's attempt the child belongs to (a parent
//   retried after a failed join starts a new round of children);
// - tasks.fanout_answer: the child's answer as the join reads it (JSON), kept
//   so a restart finishes the join from SQLite alone.
export default /* sql */ `
ALTER TABLE tasks ADD COLUMN parent_task TEXT REFERENCES tasks(id) ON DELETE CASCADE;
ALTER TABLE tasks ADD COLUMN fanout_index INTEGER;
ALTER TABLE tasks ADD COLUMN fanout_of INTEGER;
ALTER TABLE tasks ADD COLUMN parent_attempt INTEGER;
ALTER TABLE tasks ADD COLUMN fanout_answer TEXT;
CREATE INDEX tasks_parent ON tasks(parent_task, parent_attempt) WHERE parent_task IS NOT NULL;
`
