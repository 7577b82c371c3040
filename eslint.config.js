// ESLint for the banner runtime, its build script and its unit tests.
import js from "@eslint/js";
import globals from "globals";

export default [
  { ignores: ["static/consent/banner.js", "static/consent/tcf.js", "static/consent/tcf-stub.js", "static/consent/regime.js", "static/consent/domains.js", "static/consent/banner-preview.js", "static/consent/notice.js", "static/consent/prefs.js", "static/consent/demo/**", "staticfiles/**", "node_modules/**", ".venv/**", "var/**"] },
  js.configs.recommended,
  {
    files: ["static/consent/src/**/*.js"],
    languageOptions: { ecmaVersion: 2020, sourceType: "module", globals: { ...globals.browser, CONFIG: "readonly", __CSS__: "readonly", __PREFS_CSS__: "readonly", __PREVIEW__: "readonly" } },
    rules: {
      "no-eval": "error",
      "no-implied-eval": "error",
      "no-new-func": "error",
      eqeqeq: ["error", "smart"],
      "no-unused-vars": ["error", { args: "after-used" }],
    },
  },
  {
    files: ["static/consent/build.mjs", "static/consent/test/**/*.js", "eslint.config.js"],
    languageOptions: { ecmaVersion: 2024, sourceType: "module", globals: { ...globals.node } },
  },
];
