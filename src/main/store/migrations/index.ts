import m001 from './001-core'
import m002 from './002-github'
import m003 from './003-work'
import m004 from './004-merge-method'
import m005 from './005-comment-trust'
import m006 from './006-budgets-answers'
import m007 from './007-github-signals'
import m008 from './008-mergeability'
import m009 from './009-spend-budgets'
import m011 from './011-memory-leases'
import m010 from './010-handoffs'
import m012 from './012-fanout'
import m013 from './013-parallel-attempts'

/** Numbered migrations, applied in order; `user_version` records the last one applied. */
export const migrations: readonly string[] = [m001, m002, m003, m004, m005, m006, m007, m008, m009, m010, m011, m012, m013]
