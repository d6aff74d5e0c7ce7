/** fhir.js ships no types: its node adapter, as the tests use it. */
declare module 'fhir.js' {
  export default function mkFhir(config: { baseUrl: string; auth?: { user: string; pass: string } }): any;
}
