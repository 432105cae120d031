// Per-issue shared memory: what each role left for the later stages (plan,
// triage, test report, …) and the hand-offs between roles.
import { planFilesOf } from '../pipeline/plan-files'
import { setPlanFiles } from './leases'
import type { Db } from './open'

export interface NoteInput {
  repoId: number
  issue: number
  role: string
  kind: string
  body: string
  at: string
}

export function addNote(db: Db, note: NoteInput): void {
  db.transaction(() => {
    db.prepare('INSERT INTO notes (repo_id, issue, role, kind, body, created_at) VALUES (?, ?, ?, ?, ?, ?)').run(note.repoId, note.issue, note.role, note.kind, note.body, note.at)
    // The plan's file list is what the Engineer will touch: the scheduler's lease check reads it (issue #14).
    if (note.kind === 'plan') setPlanFiles(db, note.repoId, note.issue, planFilesOf(note.body))
  })()
}

/** Adds the note unless the same body of the same kind is already there (a replayed answer adds nothing). */
export function addNoteOnce(db: Db, note: NoteInput): void {
  const exists = db.prepare('SELECT 1 FROM notes WHERE repo_id = ? AND issue = ? AND kind = ? AND body = ?').get(note.repoId, note.issue, note.kind, note.body)
  if (!exists) addNote(db, note)
}

export function latestNote(db: Db, repoId: number, issue: number, kind: string): string | null {
  return (db.prepare('SELECT body FROM notes WHERE repo_id = ? AND issue = ? AND kind = ? ORDER BY id DESC LIMIT 1').get(repoId, issue, kind) as { body: string } | undefined)?.body ?? null
}

export function countNotes(db: Db, repoId: number, issue: number, kind: string): number {
  return (db.prepare('SELECT COUNT(*) AS n FROM notes WHERE repo_id = ? AND issue = ? AND kind = ?').get(repoId, issue, kind) as { n: number }).n
}

/** Every note but the hand-offs, oldest first (the trigger's `notes`). */
export function issueNotes(db: Db, repoId: number, issue: number): Array<{ role: string; kind: string; body: string }> {
  return db
    .prepare("SELECT role, kind, body FROM notes WHERE repo_id = ? AND issue = ? AND kind != 'handoff' ORDER BY id")
    .all(repoId, issue) as Array<{ role: string; kind: string; body: string }>
}

/** Hand-offs, oldest first: the body's first line names the role asked, the rest is the ask. */
export function handoffNotes(db: Db, repoId: number, issue: number): Array<{ from: string; to: string; text: string }> {
  return (db.prepare("SELECT role, body FROM notes WHERE repo_id = ? AND issue = ? AND kind = 'handoff' ORDER BY id").all(repoId, issue) as Array<{ role: string; body: string }>).map(
    (h) => {
      const [to, ...text] = h.body.split('\n')
      return { from: h.role, to: to ?? '', text: text.join('\n') }
    }
  )
}
