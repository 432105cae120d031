// scripts/readme-first-run.js reads the README's first-run block: the real
// README parses to the commands CI runs, and a block it cannot run is named.
import { readFileSync } from 'node:fs'
import { expect, it } from 'vitest'
import { readmeCommands } from '../../scripts/readme-first-run.js'

const parse = readmeCommands
const block = (lines: string) => `# x\n\n<!-- first-run -->\n\`\`\`sh\n${lines}\n\`\`\`\n\nmore\n\`\`\`sh\nnpm run other\n\`\`\`\n`

it('the README block gives one install, the headless start CI runs, and the desktop one it cannot', () => {
  expect(parse(readFileSync('README.md', 'utf8'))).toEqual({ install: 'npm install', headless: 'npm run serve', others: ['npm start'] })
})

it('takes the block after the marker, without comments, and sandbox as the headless start', () => {
  expect(parse(block('npm ci && npm start   # desktop\nnpm ci && npm run sandbox # headless'))).toEqual({ install: 'npm ci', headless: 'npm run sandbox', others: ['npm start'] })
})

it('names what is missing or not runnable', () => {
  expect(() => parse('# no marker\n```sh\nnpm install && npm run serve\n```\n')).toThrow('no <!-- first-run --> marker')
  expect(() => parse('<!-- first-run -->\nno block')).toThrow('no fenced code block')
  expect(() => parse(block('npm install'))).toThrow('"npm install" is not "INSTALL && START"')
  expect(() => parse(block('npm install && npm start\nnpm ci && npm run serve'))).toThrow('install in different ways: npm install | npm ci')
  expect(() => parse(block('npm install && npm start'))).toThrow('no headless start')
})
