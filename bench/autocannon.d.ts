// autocannon ships no types; the benchmark uses only its documented result fields.
declare module 'autocannon';
