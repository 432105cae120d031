// Failure budgets (DESIGN.md §4): one per issue stage, across every task for
// that stage. Each failed attempt spends one; when it is spent nothing more
// runs for that stage until a person acts, which resets it (the row goes).
import type { Db } from './open'

export interface BudgetRow {
  repo_id: number
  issue: number
  stage: string
  spent: number
  last_error: string | null
  updated_at: string
}

/** Spends one attempt of the stage's budget; returns how many are spent now. One statement, so two failures never read the same count. */
export function spendBudget(db: Db, b: { repoId: number; issue: number; stage: string; error: string; at: string }): number {
  const row = db
    .prepare(
      `INSERT INTO stage_budgets (repo_id, issue, stage, spent, last_error, updated_at) VALUES (?, ?, ?, 1, ?, ?)
       ON CONFLICT (repo_id, issue, stage) DO UPDATE SET spent = spent + 1, last_error = excluded.last_error, updated_at = excluded.updated_at
       RETURNING spent`
    )
    .get(b.repoId, b.issue, b.stage, b.error, b.at) as { spent: number }
  return row.spent
}

export function getBudget(db: Db, repoId: number, issue: number, stage: string): BudgetRow | undefined {
  return db.prepare('SELECT * FROM stage_budgets WHERE repo_id = ? AND issue = ? AND stage = ?').get(repoId, issue, stage) as BudgetRow | undefined
}

/** A person acted: the stage's budget is whole again. Returns whether one was spent at all. */
export function resetBudget(db: Db, repoId: number, issue: number, stage: string): boolean {
  return db.prepare('DELETE FROM stage_budgets WHERE repo_id = ? AND issue = ? AND stage = ?').run(repoId, issue, stage).changes > 0
}

export function repoBudgets(db: Db, repoId: number): BudgetRow[] {
  return db.prepare('SELECT * FROM stage_budgets WHERE repo_id = ?').all(repoId) as BudgetRow[]
}

/** A person stopped the stage's task (pipeline/person-stop.ts): its budget is spent whole, so nothing runs for it until a person acts. */
export function spendWhole(db: Db, b: { repoId: number; issue: number; stage: string; spent: number; error: string; at: string }): void {
  db.prepare(
    `INSERT INTO stage_budgets (repo_id, issue, stage, spent, last_error, updated_at) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (repo_id, issue, stage) DO UPDATE SET spent = MAX(spent, excluded.spent), last_error = excluded.last_error, updated_at = excluded.updated_at`
  ).run(b.repoId, b.issue, b.stage, b.spent, b.error, b.at)
}
