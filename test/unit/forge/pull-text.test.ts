import { describe, expect, it } from 'vitest'
import { closingReferences, hunkFor } from '../../../src/forge/routes/pulls'

describe('closingReferences', () => {
  it('finds GitHub closing keywords in any case', () => {
    expect(closingReferences('Closes #12, fixes #3 and Resolves: #4')).toEqual([12, 3, 4])
    expect(closingReferences('close #1\nfixed #2\nresolve #5')).toEqual([1, 2, 5])
    expect(closingReferences('Related to #7; see #8; enclosed #9')).toEqual([])
  })
})

describe('hunkFor', () => {
  const patch = '@@ -1,3 +1,4 @@\n a\n-b\n+B\n+C\n c\n@@ -10,2 +11,2 @@\n x\n-y\n+z'
  it('returns the hunk up to a line on the right side', () => {
    expect(hunkFor(patch, 3, 'RIGHT')).toBe('@@ -1,3 +1,4 @@\n a\n-b\n+B\n+C')
    expect(hunkFor(patch, 12, 'RIGHT')).toBe('@@ -10,2 +11,2 @@\n x\n-y\n+z')
  })
  it('follows old line numbers on the left side and refuses lines outside the diff', () => {
    expect(hunkFor(patch, 2, 'LEFT')).toBe('@@ -1,3 +1,4 @@\n a\n-b')
    expect(hunkFor(patch, 7, 'RIGHT')).toBeUndefined()
  })
})
