// ESLint flat config: typescript-eslint's recommended rules, with formatting left to Prettier
// (eslint-config-prettier turns off the rules the two would disagree on).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'generated/', 'data/', 'coverage/', '.tap/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    rules: {
      // `_`-prefixed names are deliberately unused (positional parameters, destructured rests)
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true },
      ],
    },
  },
  {
    // tests, benchmarks and the sandboxes poke at arbitrary parsed JSON (a client's body, an
    // answer); typing every one would only hide what is checked
    files: ['test/**', 'bench/**', 'sandbox/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
