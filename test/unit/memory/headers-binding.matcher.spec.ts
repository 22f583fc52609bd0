import { describe, expect, it } from '@jest/globals';
import { headersMatchMode, matchesHeaders } from '../../../lib/transports/memory/headers-binding.matcher.js';

describe('headersMatchMode', () => {
  it('defaults to all and rejects unknown modes', () => {
    expect(headersMatchMode(undefined)).toBe('all');
    expect(headersMatchMode({})).toBe('all');
    expect(headersMatchMode({ 'x-match': 'any' })).toBe('any');
    expect(headersMatchMode({ 'x-match': 'all-with-x' })).toBe('all-with-x');
    expect(headersMatchMode({ 'x-match': 'any-with-x' })).toBe('any-with-x');
    expect(headersMatchMode({ 'x-match': 'some' })).toBeUndefined();
    expect(headersMatchMode({ 'x-match': 1 })).toBeUndefined();
  });
});

describe('matchesHeaders', () => {
  const binding = { format: 'pdf', type: 'report' };

  it('all (the default) needs every argument present with an equal value', () => {
    expect(matchesHeaders(binding, { format: 'pdf', type: 'report', extra: 1 })).toBe(true);
    expect(matchesHeaders({ ...binding, 'x-match': 'all' }, { format: 'pdf', type: 'report' })).toBe(true);
    expect(matchesHeaders(binding, { format: 'pdf' })).toBe(false);
    expect(matchesHeaders(binding, { format: 'pdf', type: 'log' })).toBe(false);
    expect(matchesHeaders(binding, undefined)).toBe(false);
  });

  it('any needs at least one equal argument', () => {
    const any = { ...binding, 'x-match': 'any' };
    expect(matchesHeaders(any, { format: 'pdf' })).toBe(true);
    expect(matchesHeaders(any, { type: 'report', format: 'zip' })).toBe(true);
    expect(matchesHeaders(any, { format: 'zip', type: 'log' })).toBe(false);
    expect(matchesHeaders(any, {})).toBe(false);
  });

  it('with nothing to compare, all matches everything and any matches nothing', () => {
    expect(matchesHeaders({}, {})).toBe(true);
    expect(matchesHeaders({ 'x-match': 'all' }, undefined)).toBe(true);
    expect(matchesHeaders({ 'x-match': 'any' }, { a: 1 })).toBe(false);
  });

  it('compares values with their types', () => {
    expect(matchesHeaders({ n: 1 }, { n: 1 })).toBe(true);
    expect(matchesHeaders({ n: 1 }, { n: '1' })).toBe(false);
    expect(matchesHeaders({ b: true }, { b: true })).toBe(true);
    expect(matchesHeaders({ b: true }, { b: 'true' })).toBe(false);
  });

  it('treats a null argument as "header present, any value" and an undefined header as absent', () => {
    expect(matchesHeaders({ tenant: null }, { tenant: 'acme' })).toBe(true);
    expect(matchesHeaders({ tenant: null }, { tenant: null })).toBe(true);
    expect(matchesHeaders({ tenant: null }, { other: 1 })).toBe(false);
    expect(matchesHeaders({ tenant: 'acme' }, { tenant: undefined })).toBe(false);
    expect(matchesHeaders({ tenant: null }, { tenant: undefined })).toBe(false);
  });

  it('ignores x- arguments unless the mode is -with-x, and never compares x-match itself', () => {
    expect(matchesHeaders({ 'x-tenant': 'acme', format: 'pdf' }, { format: 'pdf' })).toBe(true);
    expect(matchesHeaders({ 'x-match': 'any', 'x-tenant': 'acme' }, { 'x-tenant': 'acme' })).toBe(false);
    expect(matchesHeaders({ 'x-match': 'all-with-x', 'x-tenant': 'acme', format: 'pdf' }, { format: 'pdf' })).toBe(false);
    expect(matchesHeaders({ 'x-match': 'all-with-x', 'x-tenant': 'acme', format: 'pdf' }, { format: 'pdf', 'x-tenant': 'acme' })).toBe(true);
    expect(matchesHeaders({ 'x-match': 'any-with-x', 'x-tenant': 'acme', format: 'pdf' }, { 'x-tenant': 'acme' })).toBe(true);
    expect(matchesHeaders({ 'x-match': 'any-with-x', 'x-tenant': 'acme' }, { 'x-tenant': 'other' })).toBe(false);
  });

  it('does not look up inherited properties', () => {
    expect(matchesHeaders({ toString: null }, {})).toBe(false);
  });
});
