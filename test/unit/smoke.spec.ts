import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { z } from 'zod';

@Injectable()
class A { v = 1; }
@Module({ providers: [A] })
class M {}

it('boots', async () => {
  const m = await Test.createTestingModule({ imports: [M] }).compile();
  expect(m.get(A).v).toBe(1);
  const s = z.object({ a: z.string() });
  expect(s['~standard'].vendor).toBe('zod');
});
