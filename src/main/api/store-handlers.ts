// API handlers answered from SQLite alone.
import { recentEvents } from '../store/audit'
import { board, boardChanges, type BoardContext } from '../store/board'
import type { BoardLog } from '../store/board-log'
import { issueDetail, type IssueDetailContext } from '../store/issue-detail'
import type { Db } from '../store/open'
import { listDrafts, listInbox, listRepos, usageCsv, usageSummary } from '../store/queries'
import type { Handlers } from './dispatch'

export type StoreHandlers = Pick<
  Handlers,
  'events.recent' | 'repos.list' | 'inbox.list' | 'usage.summary' | 'usage.csv' | 'issues.board' | 'issues.boardChanges' | 'issues.detail' | 'drafts.list'
>

export function storeHandlers(db: Db, context: BoardContext & Pick<IssueDetailContext, 'batonLogin'>, log: BoardLog): StoreHandlers {
  return {
    'events.recent': ({ limit }) => recentEvents(db, limit),
    'repos.list': () => listRepos(db),
    'inbox.list': () => listInbox(db),
    'usage.summary': ({ range }) => usageSummary(db, range),
    'usage.csv': ({ range }) => usageCsv(db, range),
    'issues.board': (filter) => board(db, filter, context),
    'issues.boardChanges': (input) => boardChanges(db, log, input, context),
    'issues.detail': ({ repoId, number }) => issueDetail(db, repoId, number, context),
    'drafts.list': () => listDrafts(db)
  }
}
