/**
 * Every GraphQL document the Open mSupply connector sends validates against Open mSupply's schema
 * (the SDL reconstructed from its generated types, ../shared/fixtures, read at run time), and each
 * selects `__typename` on every union result and the typed error of every mutation.
 */
import t from 'tap';
import {
  isNonNullType,
  isUnionType,
  parse,
  validate,
  Kind,
  type FieldNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { OPERATIONS } from '../../../../src/systems/msupply/operations.js';
import { loadMsupplySchema } from '../../../../sandbox/msupply/schema.js';

const schema = loadMsupplySchema();

t.test('every document the connector sends validates against the real schema', async (t) => {
  t.ok(Object.keys(OPERATIONS).length >= 10, 'the list covers the connector operations');
  for (const [name, query] of Object.entries(OPERATIONS)) {
    const doc = parse(query);
    const errors = validate(schema, doc);
    t.same(
      errors.map((e) => e.message),
      [],
      `${name} is valid`,
    );
    const op = doc.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
    t.equal(op.name?.value, name, `${name}: the operation is named as listed (its name shows in recorded calls)`);
  }
});

t.test('the validation is real: a field Open mSupply does not have fails it', async (t) => {
  // NameNode has isCustomer/isSupplier but no isStore (that is only a NameFilterInput field)
  const wrong = OPERATIONS.names.replace('isSupplier', 'isSupplier isStore');
  t.match(
    validate(schema, parse(wrong)).map((e) => e.message),
    [/Cannot query field "isStore" on type "NameNode"/],
  );
  const wrongArg =
    'query q { requisitions(storeId: "s", filter: { theirReference: { equalAny: ["x"] } }) { __typename } }';
  t.match(
    validate(schema, parse(wrongArg)).map((e) => e.message),
    [/Field "equalAny" is not defined by type "StringFilterInput"/],
  );
});

t.test(
  'every root result selects __typename, and every mutation whose union has an error member selects it',
  async (t) => {
    const selects = (set: SelectionSetNode | undefined, field: string) =>
      !!set?.selections.some((s) => s.kind === Kind.FIELD && s.name.value === field);
    for (const [name, query] of Object.entries(OPERATIONS)) {
      const op = parse(query).definitions.find(
        (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
      )!;
      const root = op.selectionSet.selections[0] as FieldNode;
      t.ok(selects(root.selectionSet, '__typename'), `${name}: __typename on the result`);
      const rootType = schema.getMutationType()?.getFields()[root.name.value]?.type;
      const union = rootType && isNonNullType(rootType) && isUnionType(rootType.ofType) ? rootType.ofType : undefined;
      if (op.operation === 'mutation' && union?.getTypes().some((x) => x.name.endsWith('Error'))) {
        const errorFragment = root.selectionSet!.selections.find(
          (s) => s.kind === Kind.INLINE_FRAGMENT && /Error$/.test(s.typeCondition?.name.value ?? ''),
        );
        t.ok(errorFragment, `${name}: selects its Error member`);
        const error =
          errorFragment && errorFragment.kind === Kind.INLINE_FRAGMENT
            ? (errorFragment.selectionSet.selections.find(
                (s) => s.kind === Kind.FIELD && s.name.value === 'error',
              ) as FieldNode)
            : undefined;
        t.ok(
          error && selects(error.selectionSet, '__typename') && selects(error.selectionSet, 'description'),
          `${name}: error { __typename description }`,
        );
      }
    }
  },
);
