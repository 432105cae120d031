// The sandbox's forge content (issue 5): the baton-sandbox organization with
// its sample project `calc`, three people, and five issues that exercise the
// pipeline's paths — a patch that works, one that fails the tests, a vague
// request, an outsider's report, and an issue blocked by another.
import type { ForgeSeed } from '../seed'
import { calcFiles } from './project'
import { capitalizePatch, cubePatch, powerPatch } from './patches'

export const SANDBOX_OWNER = 'baton-sandbox'
export const SANDBOX_REPO = 'calc'

/** Tokens of the sandbox's people. Baton itself uses the maintainer's. */
export const SANDBOX_TOKENS = {
  maintainer: 'sandbox-maintainer-token',
  alice: 'sandbox-alice-token',
  outsider: 'sandbox-outsider-token'
} as const

const fenced = (patch: string) => '```diff\n' + patch + '```'

export function sandboxSeed(): ForgeSeed {
  return {
    users: [
      { login: 'maintainer', name: 'Morgan Maintainer', email: 'maintainer@sandbox.baton.local', token: SANDBOX_TOKENS.maintainer, scopes: ['repo', 'read:org'] },
      { login: 'alice', name: 'Alice Developer', email: 'alice@sandbox.baton.local', token: SANDBOX_TOKENS.alice, scopes: ['repo'] },
      { login: 'outsider', name: 'Otto Outsider', email: 'outsider@sandbox.baton.local', token: SANDBOX_TOKENS.outsider, scopes: ['public_repo'] }
    ],
    organizations: [{ login: SANDBOX_OWNER, name: 'Baton sandbox', members: ['maintainer'] }],
    repositories: [
      {
        owner: SANDBOX_OWNER,
        name: SANDBOX_REPO,
        description: 'A tiny calculator and string helpers — the Baton sandbox project.',
        defaultBranch: 'main',
        files: calcFiles,
        collaborators: { maintainer: 'admin', alice: 'write' },
        issues: [
          {
            author: 'maintainer',
            title: 'Add a power function',
            body: [
              'We need `power(base, exponent)` for whole, non-negative exponents, exported from `src/index.js`.',
              '',
              'Acceptance: `power(2, 10) === 1024`, `power(5, 0) === 1`, and a negative or fractional exponent throws a `RangeError`.',
              '',
              'Here is the change, with its test:',
              '',
              fenced(powerPatch)
            ].join('\n')
          },
          {
            author: 'alice',
            title: "capitalize('') throws a TypeError",
            body: [
              "`capitalize('')` throws `TypeError: Cannot read properties of undefined (reading 'toUpperCase')` instead of returning an empty string.",
              '',
              'Steps: `node -e "import(\'./src/strings.js\').then(m => console.log(m.capitalize(\'\')))"`',
              '',
              'A first attempt at a fix:',
              '',
              fenced(capitalizePatch)
            ].join('\n')
          },
          { author: 'alice', title: 'Make it better', body: 'It should be better.' },
          {
            author: 'outsider',
            title: 'Wrong result from the calculator',
            body: 'I got a wrong number from the calculator yesterday. Please fix it.'
          },
          {
            author: 'maintainer',
            title: 'Add a cube function',
            body: [
              'Blocked by #1',
              '',
              'Add `cube(value)` built on `power`, exported from `src/index.js`; `cube(3) === 27`, `cube(-2) === -8`.',
              '',
              fenced(cubePatch)
            ].join('\n')
          }
        ]
      }
    ]
  }
}
