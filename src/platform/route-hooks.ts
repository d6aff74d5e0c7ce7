/** A route's hooks as a list: Fastify's RouteOptions hold one hook, an array of them, or none. */
export const hookList = <H>(hooks: H | H[] | undefined): H[] =>
  hooks === undefined ? [] : Array.isArray(hooks) ? hooks : [hooks];
