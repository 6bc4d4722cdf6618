// Pathfinder generator: deterministic, balanced, two markers per image, valid PNG output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inflateSync } from 'node:zlib';
import { generatePathfinder } from '../../src/data/pathfinder.js';
import { encodeGrayPng } from '../../src/util/png.js';

/** Connected components (4-neighbour) of pixels at full intensity: the marker dots. */
function markerBlobs(p: Uint8Array, size = 32): number {
  const seen = new Uint8Array(p.length);
  let blobs = 0;
  for (let i = 0; i < p.length; i++) {
    if (p[i] < 250 || seen[i]) continue;
    blobs++;
    const stack = [i];
    seen[i] = 1;
    while (stack.length) {
      const j = stack.pop()!, x = j % size, y = (j / size) | 0;
      for (const [dx, dy] of [[1, 0], [-1, 0], [0, 1], [0, -1]]) {
        const nx = x + dx, ny = y + dy, k = ny * size + nx;
        if (nx >= 0 && ny >= 0 && nx < size && ny < size && !seen[k] && p[k] >= 250) { seen[k] = 1; stack.push(k); }
      }
    }
  }
  return blobs;
}

test('Pathfinder: deterministic, balanced labels, two marker dots, paths drawn at paddle contrast', () => {
  const a = generatePathfinder(40, { seed: 3 }), b = generatePathfinder(40, { seed: 3 });
  assert.deepEqual(a.map((i) => [...i.pixels]), b.map((i) => [...i.pixels]));
  assert.notDeepEqual([...generatePathfinder(1, { seed: 4 })[0].pixels], [...a[0].pixels]);
  assert.equal(a.filter((i) => i.label === 1).length, 20);
  for (const im of a) {
    assert.equal(im.pixels.length, 1024);
    const blobs = markerBlobs(im.pixels);
    assert.ok(blobs >= 1 && blobs <= 2, `marker blobs ${blobs}`); // two dots (they may touch)
    const path = im.pixels.filter((v) => v > 40 && v < 250).length;
    assert.ok(path > 40, `too few path pixels: ${path}`);
  }
});

test('PNG encoder writes a valid grayscale PNG whose pixels decode back', () => {
  const px = Uint8Array.from({ length: 6 }, (_, i) => i * 40);
  const png = encodeGrayPng(px, 3, 2);
  assert.deepEqual([...png.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10]);
  assert.equal(png.readUInt32BE(16), 3);
  assert.equal(png.readUInt32BE(20), 2);
  const idatLen = png.readUInt32BE(33);
  assert.equal(png.subarray(37, 41).toString('latin1'), 'IDAT');
  const raw = inflateSync(png.subarray(41, 41 + idatLen));
  assert.deepEqual([...raw], [0, 0, 40, 80, 0, 120, 160, 200]);
  assert.throws(() => encodeGrayPng(px, 2, 2), /6 pixels for a 2x2 image/);
});
