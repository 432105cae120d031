// Which board cards changed, and since when: the board's version log.
//
// Temporary triggers on this connection append the key (repo, number) of every
// card a write touches to a temporary table, whose row id is the board's
// version. No caller has to name what it changed: a write to issues, tasks or
// pulls that alters what a card shows is logged by SQLite itself, and a write
// to a repository's name or address logs "everything of that repository".
// What the board shows that is not in SQLite is logged here too: the
// scheduler's wait reasons and each repository's pipeline (compared with the
// last ones seen), and time (a
// retry time that passed, a closed issue leaving the done window).
//
// A renderer keeps the version and epoch of what it shows and asks for the
// cards changed since; a version this log no longer holds (pruned), a
// different epoch (the core restarted) or too many changes answer with the
// whole board instead.
import { randomBytes } from 'node:crypto'
import type { BoardVersion } from '../../shared/api'
import type { Db } from './open'

/** Every card (repo_id NULL) or every card of one repository (number NULL). */
export type ChangeKey = { repoId: number; number: number }

export interface BoardLogOptions {
  /** The scheduler's reasons, `repoId#number` → why it waits (shared with the engine). */
  waits?: ReadonlyMap<string, string>
  /** A repository's pipeline (stages and owners decide a card's column); compared by value on each look. */
  pipelineOf?: (repoId: number) => unknown
  /** Called (once per burst) after a logged write, so a change event goes out even where a caller forgot one. */
  onChange?: () => void
  /** Rows kept after pruning; a client further behind gets the whole board. */
  retain?: number
  /** How many days a closed issue stays in the final column (as the board's). */
  doneWindowDays?: number
  /** Time checks (retry times, the done window), in ms; 0 turns the timer off. */
  tickMs?: number
  now?: () => number
}

export type Changes = { kind: 'keys'; keys: ChangeKey[] } | { kind: 'all' }

const FN = 'baton_board_changed'

export class BoardLog {
  /** Changes with each start: versions of another run mean nothing here. */
  readonly epoch = randomBytes(6).toString('hex')
  private floor = 0
  private lastEvent = 0
  private lastWaits = new Map<string, string>()
  private readonly lastPipelines = new Map<number, string>()
  private lastTick: number
  private timer: NodeJS.Timeout | null = null
  private notified = false
  private readonly retain: number
  private readonly now: () => number
  private readonly maxSeq
  private readonly rowsSince
  private readonly insert

  constructor(
    private readonly db: Db,
    private readonly o: BoardLogOptions = {}
  ) {
    this.retain = o.retain ?? 5_000
    this.now = o.now ?? Date.now
    this.lastTick = this.now()
    db.function(FN, { deterministic: false, varargs: false }, () => {
      this.notify()
      return null
    })
    db.exec(`
      CREATE TEMP TABLE IF NOT EXISTS board_changes (seq INTEGER PRIMARY KEY AUTOINCREMENT, repo_id INTEGER, number INTEGER);

      CREATE TEMP TRIGGER IF NOT EXISTS board_issues_insert AFTER INSERT ON main.issues BEGIN
        INSERT INTO board_changes (repo_id, number) VALUES (NEW.repo_id, NEW.number);
        SELECT ${FN}();
      END;
      CREATE TEMP TRIGGER IF NOT EXISTS board_issues_update AFTER UPDATE ON main.issues
      WHEN OLD.repo_id IS NOT NEW.repo_id OR OLD.number IS NOT NEW.number OR OLD.title IS NOT NEW.title OR OLD.labels IS NOT NEW.labels
        OR OLD.author IS NOT NEW.author OR OLD.state IS NOT NEW.state OR OLD.is_pull IS NOT NEW.is_pull OR OLD.updated_at IS NOT NEW.updated_at
        OR OLD.closed_at IS NOT NEW.closed_at
      BEGIN
        INSERT INTO board_changes (repo_id, number) VALUES (NEW.repo_id, NEW.number);
        INSERT INTO board_changes (repo_id, number) SELECT OLD.repo_id, OLD.number WHERE OLD.repo_id IS NOT NEW.repo_id OR OLD.number IS NOT NEW.number;
        SELECT ${FN}();
      END;
      CREATE TEMP TRIGGER IF NOT EXISTS board_issues_delete AFTER DELETE ON main.issues BEGIN
        INSERT INTO board_changes (repo_id, number) VALUES (OLD.repo_id, OLD.number);
        SELECT ${FN}();
      END;

      CREATE TEMP TRIGGER IF NOT EXISTS board_tasks_insert AFTER INSERT ON main.tasks BEGIN
        INSERT INTO board_changes (repo_id, number) VALUES (NEW.repo_id, NEW.issue);
        SELECT ${FN}();
      END;
      CREATE TEMP TRIGGER IF NOT EXISTS board_tasks_update AFTER UPDATE ON main.tasks
      WHEN OLD.repo_id IS NOT NEW.repo_id OR OLD.issue IS NOT NEW.issue OR OLD.state IS NOT NEW.state OR OLD.agent IS NOT NEW.agent
        OR OLD.updated_at IS NOT NEW.updated_at OR OLD.result IS NOT NEW.result OR OLD.not_before IS NOT NEW.not_before OR OLD.created_at IS NOT NEW.created_at
      BEGIN
        INSERT INTO board_changes (repo_id, number) VALUES (NEW.repo_id, NEW.issue);
        INSERT INTO board_changes (repo_id, number) SELECT OLD.repo_id, OLD.issue WHERE OLD.repo_id IS NOT NEW.repo_id OR OLD.issue IS NOT NEW.issue;
        SELECT ${FN}();
      END;
      CREATE TEMP TRIGGER IF NOT EXISTS board_tasks_delete AFTER DELETE ON main.tasks BEGIN
        INSERT INTO board_changes (repo_id, number) VALUES (OLD.repo_id, OLD.issue);
        SELECT ${FN}();
      END;

      CREATE TEMP TRIGGER IF NOT EXISTS board_pulls_insert AFTER INSERT ON main.pulls WHEN NEW.issue IS NOT NULL BEGIN
        INSERT INTO board_changes (repo_id, number) VALUES (NEW.repo_id, NEW.issue);
        SELECT ${FN}();
      END;
      CREATE TEMP TRIGGER IF NOT EXISTS board_pulls_update AFTER UPDATE ON main.pulls
      WHEN OLD.repo_id IS NOT NEW.repo_id OR OLD.number IS NOT NEW.number OR OLD.issue IS NOT NEW.issue
      BEGIN
        INSERT INTO board_changes (repo_id, number) SELECT NEW.repo_id, NEW.issue WHERE NEW.issue IS NOT NULL;
        INSERT INTO board_changes (repo_id, number) SELECT OLD.repo_id, OLD.issue WHERE OLD.issue IS NOT NULL;
        SELECT ${FN}();
      END;
      CREATE TEMP TRIGGER IF NOT EXISTS board_pulls_delete AFTER DELETE ON main.pulls WHEN OLD.issue IS NOT NULL BEGIN
        INSERT INTO board_changes (repo_id, number) VALUES (OLD.repo_id, OLD.issue);
        SELECT ${FN}();
      END;

      CREATE TEMP TRIGGER IF NOT EXISTS board_repos_update AFTER UPDATE ON main.repos
      WHEN OLD.id IS NOT NEW.id OR OLD.owner IS NOT NEW.owner OR OLD.name IS NOT NEW.name OR OLD.api_url IS NOT NEW.api_url
      BEGIN
        INSERT INTO board_changes (repo_id, number) VALUES (OLD.id, NULL);
        INSERT INTO board_changes (repo_id, number) SELECT NEW.id, NULL WHERE NEW.id IS NOT OLD.id;
        SELECT ${FN}();
      END;
      CREATE TEMP TRIGGER IF NOT EXISTS board_repos_delete AFTER DELETE ON main.repos BEGIN
        INSERT INTO board_changes (repo_id, number) VALUES (OLD.id, NULL);
        SELECT ${FN}();
      END;
    `)
    this.maxSeq = db.prepare('SELECT COALESCE(MAX(seq), 0) AS v FROM temp.board_changes').pluck()
    this.rowsSince = db.prepare('SELECT repo_id AS repoId, number FROM temp.board_changes WHERE seq > ? ORDER BY seq')
    this.insert = db.prepare('INSERT INTO temp.board_changes (repo_id, number) VALUES (?, ?)')
    this.floor = this.version()
    this.lastEvent = this.floor
    for (const [key, reason] of o.waits ?? []) this.lastWaits.set(key, reason)
    const tickMs = o.tickMs ?? 30_000
    if (tickMs > 0) {
      this.timer = setInterval(() => this.observe(), tickMs)
      this.timer.unref()
    }
  }

  /** The board's version now (after noting what changed outside SQLite). */
  version(): number {
    return Number(this.maxSeq.get())
  }

  /** Logs cards changed by something SQLite does not see. */
  touch(keys: Iterable<ChangeKey>): void {
    for (const key of keys) this.insert.run(key.repoId, key.number)
  }

  /** Everything changed (the pipeline definition, say): every client refetches the whole board. */
  touchAll(): void {
    this.insert.run(null, null)
  }

  /**
   * Logs what changed outside SQLite: wait reasons, pipelines, and what time changed.
   * Called before every version is handed out; cheap when nothing changed.
   */
  observe(): void {
    const touched: ChangeKey[] = []
    const waits = this.o.waits
    if (waits) {
      for (const [key, reason] of waits) if (this.lastWaits.get(key) !== reason) touched.push(parseKey(key))
      for (const key of this.lastWaits.keys()) if (!waits.has(key)) touched.push(parseKey(key))
      if (touched.length) this.lastWaits = new Map(waits)
    }
    const pipelineOf = this.o.pipelineOf
    if (pipelineOf) {
      for (const repoId of this.db.prepare('SELECT id FROM repos').pluck().all() as number[]) {
        let print: string
        try {
          print = JSON.stringify(pipelineOf(repoId))
        } catch (error) {
          // The board reads the same pipeline and says what is wrong; here it only must not stop the log.
          print = `error: ${(error as Error).message}`
        }
        const before = this.lastPipelines.get(repoId)
        if (before !== undefined && before !== print) this.insert.run(repoId, null)
        if (before !== print) {
          this.lastPipelines.set(repoId, print)
          if (before !== undefined) this.notify()
        }
      }
    }
    const now = this.now()
    if (now - this.lastTick >= 5000) {
      const from = new Date(this.lastTick).toISOString()
      const to = new Date(now).toISOString()
      const days = (this.o.doneWindowDays ?? 14) * 86_400_000
      // A retry time passed (the card's "retrying at" goes), a closed issue left the done window.
      const rows = this.db
        .prepare(
          `SELECT repo_id AS repoId, issue AS number FROM tasks WHERE state = 'queued' AND not_before > ? AND not_before <= ?
           UNION SELECT repo_id, number FROM issues WHERE state = 'closed' AND closed_at >= ? AND closed_at < ?`
        )
        .all(from, to, new Date(this.lastTick - days).toISOString(), new Date(now - days).toISOString()) as ChangeKey[]
      touched.push(...rows)
      this.lastTick = now
    }
    if (touched.length) {
      this.touch(touched)
      this.notify()
    }
    this.prune()
  }

  /** What changed after `since`; `all` when that version is gone, from the future, or a whole repository changed. */
  since(since: number, max = Infinity): Changes {
    const version = this.version()
    if (since < this.floor || since > version) return { kind: 'all' }
    const rows = this.rowsSince.all(since) as Array<{ repoId: number | null; number: number | null }>
    const seen = new Set<string>()
    const keys: ChangeKey[] = []
    for (const row of rows) {
      if (row.repoId === null || row.number === null) return { kind: 'all' }
      const key = `${row.repoId}#${row.number}`
      if (seen.has(key)) continue
      seen.add(key)
      keys.push({ repoId: row.repoId, number: row.number })
      if (keys.length > max) return { kind: 'all' }
    }
    return { kind: 'keys', keys }
  }

  /** For a `changed` event: the version now and the cards changed since the previous event (null: too many, or all). */
  forEvent(maxKeys = 200): BoardVersion {
    this.observe()
    const version = this.version()
    const changes = this.since(Math.max(this.lastEvent, this.floor), maxKeys)
    this.lastEvent = version
    return { epoch: this.epoch, version, keys: changes.kind === 'all' ? null : changes.keys.map((k) => cardKey(k.repoId, k.number)) }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
  }

  private notify(): void {
    if (this.notified) return
    this.notified = true
    queueMicrotask(() => {
      this.notified = false
      this.o.onChange?.()
    })
  }

  private prune(): void {
    const version = this.version()
    if (version - this.floor <= this.retain * 2) return
    const floor = version - this.retain
    this.db.prepare('DELETE FROM temp.board_changes WHERE seq <= ?').run(floor)
    this.floor = floor
  }
}

export const cardKey = (repoId: number, number: number): string => `${repoId}#${number}`

function parseKey(key: string): ChangeKey {
  const [repoId, number] = key.split('#')
  return { repoId: Number(repoId), number: Number(number) }
}
