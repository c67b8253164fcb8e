import { describe, expect, test } from '@jest/globals';
import { normaliseDump, renderSnapshot, snapshotVersions } from './snapshot.ts';

/** A pg_dump 15.20 output as it comes, header, settings, `\restrict` keys and banners included. */
const RAW = [
  '--',
  '-- PostgreSQL database dump',
  '--',
  '',
  '\\restrict CjfHrsBBVsdZsvzfIJCnmSzvycBsRuEGpzdxE0OJWUC6JvwimAfCoxysUL10yjM',
  '',
  '-- Dumped from database version 15.20 (Debian 15.20-0+deb12u1)',
  '-- Dumped by pg_dump version 15.20 (Debian 15.20-0+deb12u1)',
  '',
  'SET statement_timeout = 0;',
  "SELECT pg_catalog.set_config('search_path', '', false);",
  'SET client_min_messages = warning;',
  '',
  '--',
  '-- Name: api; Type: SCHEMA; Schema: -; Owner: -',
  '--',
  '',
  'CREATE SCHEMA api;   ',
  '',
  '',
  "SET default_tablespace = '';",
  '',
  '--',
  '-- Name: t; Type: TABLE; Schema: api; Owner: -',
  '--',
  '',
  'CREATE FUNCTION api.f() RETURNS void LANGUAGE plpgsql AS $$',
  'BEGIN',
  '  UPDATE api.t',
  '    SET x = 1;',
  'END $$;',
  '',
  '',
  '--',
  '-- PostgreSQL database dump complete',
  '--',
  '',
  '\\unrestrict WTdAh8iUIJa6vklawEt489ocikRZNXVgYcbvQUZYU30ulbizc1z2rcQ5UnElzih',
  '',
].join('\n');

describe('normaliseDump', () => {
  test('keeps the statements and their pg_dump headings, drops versions, settings, restrict keys, banners and extra blank lines', () => {
    expect(normaliseDump(RAW)).toBe([
      '--',
      '-- Name: api; Type: SCHEMA; Schema: -; Owner: -',
      '--',
      '',
      'CREATE SCHEMA api;',
      '',
      '--',
      '-- Name: t; Type: TABLE; Schema: api; Owner: -',
      '--',
      '',
      'CREATE FUNCTION api.f() RETURNS void LANGUAGE plpgsql AS $$',
      'BEGIN',
      '  UPDATE api.t',
      '    SET x = 1;',
      'END $$;',
      '',
    ].join('\n'));
  });

  test('two runs whose restrict keys and minor versions differ give the same text', () => {
    const other = RAW.replaceAll('15.20', '15.21').replace(/\\restrict \S+/, '\\restrict other').replace(/\\unrestrict \S+/, '\\unrestrict other');
    expect(normaliseDump(other)).toBe(normaliseDump(RAW));
  });
});

describe('renderSnapshot', () => {
  test('heads the file with the schema, the command and the major versions, which snapshotVersions reads back', () => {
    const text = renderSnapshot('api', RAW, { pgDumpMajor: 15, serverMajor: 15 });
    expect(text.split('\n')[0]).toBe('-- Schema `api` as its migrations leave it, made by `pnpm schema:snapshot` with pg_dump 15 on PostgreSQL 15. Do not edit: regenerate.');
    expect(snapshotVersions(text)).toEqual({ pgDumpMajor: 15, serverMajor: 15 });
    expect(snapshotVersions('CREATE SCHEMA api;')).toBeUndefined();
  });
});
