import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { cpuInfo, machineLine, parseCpuinfo } from '../../src/util/machine.js';

// Two /proc/cpuinfo blocks as this project's machines print them (trimmed): the generation and the
// vector width, which the model name "AMD EPYC" alone does not tell apart, set the kernels' speed.
const ZEN3 = 'processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 25\nmodel\t\t: 1\nmodel name\t: AMD EPYC\nflags\t\t: fpu sse sse2 avx fma avx2 bmi2\n\nprocessor\t: 1\n';
const ZEN5 = 'processor\t: 0\ncpu family\t: 26\nmodel\t\t: 2\nmodel name\t: AMD EPYC\nflags\t\t: fpu sse avx2 avx512f avx512bw avx512_bf16\n';

test('parseCpuinfo reads family, model number and the widest vector instruction set', () => {
  assert.deepEqual(parseCpuinfo(ZEN3), { family: 25, modelNumber: 1, vector: 'AVX2' });
  assert.deepEqual(parseCpuinfo(ZEN5), { family: 26, modelNumber: 2, vector: 'AVX-512' });
  assert.deepEqual(parseCpuinfo('cpu family\t: 6\nmodel\t\t: 85\nflags\t\t: fpu sse sse2\n'), { family: 6, modelNumber: 85, vector: 'SSE' });
  assert.deepEqual(parseCpuinfo(''), { family: null, modelNumber: null, vector: null }, 'no cpuinfo (e.g. an ARM or non-Linux text): nothing guessed');
});

test('machineLine names the model, its details when known, and the core count', () => {
  assert.equal(machineLine({ model: 'AMD EPYC', cores: 2, ...parseCpuinfo(ZEN3) }), 'AMD EPYC (family 25, model 1, AVX2), 2 cores');
  assert.equal(machineLine({ model: 'Apple M2', cores: 8, family: null, modelNumber: null, vector: null }), 'Apple M2, 8 cores');
  const here = cpuInfo();
  assert.ok(here.cores >= 1 && here.model.length > 0);
  if (existsSync('/proc/cpuinfo') && /avx2/.test(readFileSync('/proc/cpuinfo', 'utf8'))) assert.ok(here.vector === 'AVX2' || here.vector === 'AVX-512');
});
