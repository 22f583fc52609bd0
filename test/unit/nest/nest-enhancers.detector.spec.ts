import { describe, expect, it } from '@jest/globals';
import { UseFilters, UseGuards, type CanActivate, type ExceptionFilter } from '@nestjs/common';
import { ApplicationConfig } from '@nestjs/core';
import { hasGlobalEnhancers, hasLocalEnhancers } from '../../../lib/consumer/nest-enhancers.detector.js';

class Allow implements CanActivate {
  canActivate(): boolean {
    return true;
  }
}
class Swallow implements ExceptionFilter {
  catch(): string {
    return 'ok';
  }
}

class Bare {
  handle(): void {}
}
class MethodLevel {
  @UseGuards(Allow)
  handle(): void {}
}
@UseFilters(Swallow)
class ClassLevel {
  handle(): void {}
}
class Inherits extends ClassLevel {}

describe('enhancer detection (decides whether the Nest pipeline can be skipped)', () => {
  it.each([
    ['nothing', new Bare(), false],
    ['a method-level guard', new MethodLevel(), true],
    ['a class-level filter', new ClassLevel(), true],
    ['a class-level filter on a parent class', new Inherits(), true],
  ])('local: %s', (_label, instance, expected) => {
    expect(hasLocalEnhancers(instance, instance.handle)).toBe(expected);
  });

  it('global: empty config → none; any global enhancer → some; no readable config → assume some', () => {
    const config = new ApplicationConfig();
    expect(hasGlobalEnhancers(config)).toBe(false);
    config.useGlobalGuards(new Allow());
    expect(hasGlobalEnhancers(config)).toBe(true);
    expect(hasGlobalEnhancers(undefined)).toBe(true);
  });
});
