// A hand-drawn stand-in for the CIFAR-10 test set, in the official binary format, for tests
// that need `cifar-10-batches-bin/test_batch.bin` without the real download (e.g. the demo
// page's sample picker). Each of the first DRAWN records is a little 32x32 picture of its
// class (sky, road, sea, an animal's silhouette) so screenshots look like a demo, not noise.
// loadCifar10 insists on exactly 10 000 records per file (a truncated download must not pass
// as data), so the remaining records repeat the drawn ones.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const SIDE = 32;
const PLANE = SIDE * SIDE;
const RECORD = 1 + 3 * PLANE;
const RECORDS = 10000;

/** Labels of the drawn pictures: the first 24 labels of the real CIFAR-10 test set. */
export const TINY_CIFAR_LABELS = [3, 8, 8, 0, 6, 6, 1, 6, 3, 1, 0, 9, 5, 7, 9, 8, 5, 7, 8, 6, 7, 0, 4, 9];

type RGB = [number, number, number];

/** An HWC RGB canvas with the few shapes the pictures need. */
class Canvas {
  readonly px = new Uint8Array(PLANE * 3);

  set(x: number, y: number, c: RGB): void {
    if (x < 0 || y < 0 || x >= SIDE || y >= SIDE) return;
    this.px.set(c, 3 * (y * SIDE + x));
  }

  /** Vertical gradient from `top` (row y0) to `bottom` (row y1 - 1). */
  gradient(y0: number, y1: number, top: RGB, bottom: RGB): void {
    for (let y = y0; y < y1; y++) {
      const t = (y - y0) / Math.max(1, y1 - y0 - 1);
      const c = top.map((v, i) => Math.round(v + t * (bottom[i] - v))) as RGB;
      for (let x = 0; x < SIDE; x++) this.set(x, y, c);
    }
  }

  rect(x0: number, y0: number, w: number, h: number, c: RGB): void {
    for (let y = y0; y < y0 + h; y++) for (let x = x0; x < x0 + w; x++) this.set(x, y, c);
  }

  ellipse(cx: number, cy: number, rx: number, ry: number, c: RGB): void {
    for (let y = Math.floor(cy - ry); y <= cy + ry; y++) {
      for (let x = Math.floor(cx - rx); x <= cx + rx; x++) {
        if (((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1) this.set(x, y, c);
      }
    }
  }

  /** Filled triangle (barycentric test). */
  triangle(a: [number, number], b: [number, number], d: [number, number], c: RGB): void {
    const area = (p: [number, number], q: [number, number], r: [number, number]) => (q[0] - p[0]) * (r[1] - p[1]) - (r[0] - p[0]) * (q[1] - p[1]);
    const s = Math.sign(area(a, b, d));
    for (let y = 0; y < SIDE; y++) {
      for (let x = 0; x < SIDE; x++) {
        const p: [number, number] = [x + 0.5, y + 0.5];
        if (area(a, b, p) * s >= 0 && area(b, d, p) * s >= 0 && area(d, a, p) * s >= 0) this.set(x, y, c);
      }
    }
  }

  /** Light per-pixel grain so the pictures do not look flat (deterministic in `seed`). */
  grain(seed: number, amount: number): void {
    for (let i = 0; i < this.px.length; i++) {
      const r = ((Math.imul(i + 1, 2654435761) ^ Math.imul(seed + 7, 40503)) >>> 24) / 255 - 0.5;
      this.px[i] = Math.max(0, Math.min(255, Math.round(this.px[i] + r * amount)));
    }
  }
}

const shade = (c: RGB, f: number): RGB => c.map((v) => Math.max(0, Math.min(255, Math.round(v * f)))) as RGB;
const SKY: RGB = [120, 170, 225];
const GRASS: RGB = [86, 140, 64];

/** A 32x32 HWC picture of class `label`; `v` varies colours and placement. */
export function drawTinyCifar(label: number, v: number): Uint8Array {
  const c = new Canvas();
  const dx = (v % 3) - 1;
  const tint = 0.85 + 0.1 * (v % 4);
  switch (label) {
    case 0: { // airplane: grey jet in a blue sky
      c.gradient(0, 32, shade([70, 130, 210], tint), [200, 225, 245]);
      const body: RGB = [215, 218, 225];
      c.ellipse(16 + dx, 16, 12, 2.6, body);
      c.triangle([12 + dx, 16], [20 + dx, 16], [9 + dx, 27], shade(body, 0.85));
      c.triangle([12 + dx, 15], [20 + dx, 15], [9 + dx, 5], shade(body, 0.92));
      c.triangle([25 + dx, 15], [29 + dx, 15], [28 + dx, 9], shade(body, 0.9));
      break;
    }
    case 1: { // automobile: red car on a road
      c.gradient(0, 20, shade(SKY, tint), [215, 225, 235]);
      c.gradient(20, 32, [95, 95, 100], [60, 60, 66]);
      const paint = v % 2 ? [200, 40, 45] as RGB : [40, 90, 190] as RGB;
      c.rect(4 + dx, 15, 24, 7, paint);
      c.rect(9 + dx, 10, 13, 6, shade(paint, 0.9));
      c.rect(11 + dx, 11, 4, 4, [170, 210, 235]);
      c.rect(16 + dx, 11, 4, 4, [170, 210, 235]);
      c.ellipse(9 + dx, 22, 3, 3, [25, 25, 28]);
      c.ellipse(23 + dx, 22, 3, 3, [25, 25, 28]);
      break;
    }
    case 2: { // bird: small brown bird against the sky
      c.gradient(0, 32, shade(SKY, tint), [225, 235, 240]);
      c.rect(0, 22, 32, 2, [110, 80, 50]);
      c.ellipse(15 + dx, 17, 7, 5, [150, 100, 60]);
      c.ellipse(21 + dx, 12, 3.5, 3.5, [130, 85, 50]);
      c.triangle([24 + dx, 11], [24 + dx, 14], [28 + dx, 12.5], [240, 170, 40]);
      c.set(22 + dx, 11, [10, 10, 10]);
      break;
    }
    case 3: { // cat: orange cat face indoors
      c.gradient(0, 32, [205, 190, 165], [150, 130, 110]);
      const fur = shade([225, 140, 60], tint);
      c.triangle([7 + dx, 12], [13 + dx, 9], [8 + dx, 3], fur);
      c.triangle([25 + dx, 12], [19 + dx, 9], [24 + dx, 3], fur);
      c.ellipse(16 + dx, 17, 10, 9, fur);
      c.ellipse(12 + dx, 15, 2, 2.2, [90, 170, 70]);
      c.ellipse(20 + dx, 15, 2, 2.2, [90, 170, 70]);
      c.triangle([15 + dx, 19], [17 + dx, 19], [16 + dx, 21], [200, 100, 110]);
      break;
    }
    case 4: { // deer: brown deer in a forest clearing
      c.gradient(0, 18, [60, 100, 60], [110, 150, 90]);
      c.gradient(18, 32, shade(GRASS, tint), [60, 100, 45]);
      const hide: RGB = [150, 100, 60];
      c.ellipse(14 + dx, 17, 8, 4, hide);
      for (const lx of [8, 11, 17, 20]) c.rect(lx + dx, 19, 2, 8, shade(hide, 0.85));
      c.rect(20 + dx, 9, 3, 8, hide);
      c.ellipse(23 + dx, 9, 3.5, 2.5, hide);
      c.rect(21 + dx, 3, 1, 5, [90, 60, 40]);
      c.rect(24 + dx, 3, 1, 5, [90, 60, 40]);
      break;
    }
    case 5: { // dog: brown dog face on grass
      c.gradient(0, 16, shade(SKY, tint), [200, 220, 235]);
      c.gradient(16, 32, GRASS, [60, 105, 45]);
      const fur = v % 2 ? [175, 125, 75] as RGB : [220, 195, 150] as RGB;
      c.ellipse(16 + dx, 17, 9, 9, fur);
      c.ellipse(7 + dx, 17, 3, 7, shade(fur, 0.6));
      c.ellipse(25 + dx, 17, 3, 7, shade(fur, 0.6));
      c.ellipse(16 + dx, 22, 5, 3.5, shade(fur, 1.15));
      c.ellipse(16 + dx, 20, 2, 1.5, [20, 20, 20]);
      c.ellipse(12 + dx, 14, 1.5, 1.5, [20, 20, 20]);
      c.ellipse(20 + dx, 14, 1.5, 1.5, [20, 20, 20]);
      break;
    }
    case 6: { // frog: green frog on a dark pond
      c.gradient(0, 32, [40, 70, 60], [25, 45, 40]);
      c.ellipse(16 + dx, 28, 16, 5, [50, 110, 70]);
      const skin = shade([110, 185, 70], tint);
      c.ellipse(16 + dx, 19, 11, 7, skin);
      c.ellipse(10 + dx, 12, 3.5, 3.5, skin);
      c.ellipse(22 + dx, 12, 3.5, 3.5, skin);
      c.ellipse(10 + dx, 12, 1.6, 1.6, [15, 15, 15]);
      c.ellipse(22 + dx, 12, 1.6, 1.6, [15, 15, 15]);
      c.rect(11 + dx, 21, 10, 1, shade(skin, 0.6));
      break;
    }
    case 7: { // horse: dark horse in a field
      c.gradient(0, 18, shade(SKY, tint), [210, 225, 235]);
      c.gradient(18, 32, [130, 160, 70], [90, 125, 50]);
      const coat: RGB = v % 2 ? [90, 55, 35] : [60, 40, 30];
      c.ellipse(14 + dx, 16, 9, 4.5, coat);
      for (const lx of [7, 10, 17, 20]) c.rect(lx + dx, 18, 2, 10, coat);
      c.triangle([20 + dx, 15], [23 + dx, 6], [26 + dx, 13], coat);
      c.ellipse(26 + dx, 8, 3.5, 2.2, coat);
      c.rect(19 + dx, 6, 2, 6, [30, 20, 15]);
      break;
    }
    case 8: { // ship: white ship on the sea
      c.gradient(0, 19, shade(SKY, tint), [225, 235, 245]);
      c.gradient(19, 32, [40, 90, 150], [20, 55, 105]);
      c.triangle([3 + dx, 16], [29 + dx, 16], [7 + dx, 22], [235, 235, 238]);
      c.triangle([29 + dx, 16], [25 + dx, 22], [7 + dx, 22], [235, 235, 238]);
      c.rect(6 + dx, 19, 21, 1, [190, 40, 40]);
      c.rect(10 + dx, 11, 12, 5, [245, 245, 248]);
      c.rect(17 + dx, 6, 3, 5, [200, 60, 50]);
      break;
    }
    default: { // truck: box truck on a road
      c.gradient(0, 20, shade(SKY, tint), [215, 225, 235]);
      c.gradient(20, 32, [95, 95, 100], [60, 60, 66]);
      c.rect(3 + dx, 7, 18, 14, v % 2 ? [235, 235, 235] : [240, 190, 60]);
      c.rect(21 + dx, 11, 8, 10, [40, 110, 180]);
      c.rect(23 + dx, 12, 5, 4, [170, 210, 235]);
      for (const wx of [7, 16, 25]) c.ellipse(wx + dx, 22, 2.6, 2.6, [25, 25, 28]);
      break;
    }
  }
  c.grain(label * 31 + v, 14);
  return c.px;
}

/**
 * Writes `<dir>/cifar-10-batches-bin/test_batch.bin` (10 000 records: label byte, R plane,
 * G plane, B plane) cycling through the drawn pictures of TINY_CIFAR_LABELS. Returns `dir`.
 */
export function writeTinyCifar10(dir: string): string {
  const folder = join(dir, 'cifar-10-batches-bin');
  mkdirSync(folder, { recursive: true });
  const drawn = TINY_CIFAR_LABELS.map((label, i) => {
    const hwc = drawTinyCifar(label, i);
    const rec = new Uint8Array(RECORD);
    rec[0] = label;
    // [32, 32, 3] pixels -> [3, 32, 32] planes, the file's layout
    for (let p = 0; p < PLANE; p++) for (let ch = 0; ch < 3; ch++) rec[1 + ch * PLANE + p] = hwc[3 * p + ch];
    return rec;
  });
  const buf = Buffer.alloc(RECORDS * RECORD);
  for (let r = 0; r < RECORDS; r++) buf.set(drawn[r % drawn.length], r * RECORD);
  writeFileSync(join(folder, 'test_batch.bin'), buf);
  return dir;
}
