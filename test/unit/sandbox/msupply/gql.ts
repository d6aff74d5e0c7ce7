/** A GraphQL caller on the mSupply sandbox at `url`, logged in as the `mediator` user, as the Open mSupply UI calls it. */
export async function mediatorGql(url: string) {
  let token = '';
  const gql = async (query: string, variables: Record<string, unknown> = {}) => {
    const res = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    return (await res.json()) as any;
  };
  token = (await gql('query { authToken(username: "mediator", password: "password") { ... on AuthToken { token } } }'))
    .data.authToken.token;
  return gql;
}
