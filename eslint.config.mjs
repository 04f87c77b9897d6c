// ESLint flat config (`npm run lint` = `eslint .`).
// typescript-eslint's plain `recommended` set (not the type-checked one: that is slow
// and mostly duplicates `tsc --strict`), plus Pulumi's rules, which do need type
// information: they spot an Output<T> inside a plain template literal, which renders
// as an "Output<T> is not a string" warning text instead of the value.
import js from "@eslint/js";
import pulumi from "@pulumi/eslint-plugin";
import { defineConfig } from "eslint/config";
import tseslint from "typescript-eslint";

export default defineConfig(
    {
        ignores: ["node_modules/", "bin/", "policy/node_modules/", "policy/bin/", "rendered/"],
    },
    {
        files: ["**/*.ts"],
        extends: [js.configs.recommended, tseslint.configs.recommended],
        languageOptions: {
            parserOptions: {
                // Each file is typed by its nearest tsconfig.json (root or policy/).
                projectService: true,
                tsconfigRootDir: import.meta.dirname,
            },
        },
        // The plugin exports only `rules` (no ready-made configs), so enable them by name.
        plugins: { "@pulumi": pulumi },
        rules: {
            "@pulumi/no-output-in-template-literal": "error",
            "@pulumi/no-output-instance-in-template-literal": "error",
            "@typescript-eslint/no-unused-vars": [
                "error",
                { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrorsIgnorePattern: "^_" },
            ],
        },
    },
    {
        // Specs and policy rules read arbitrary resources' untyped property bags.
        files: ["test/**/*.ts", "policy/rules.ts"],
        rules: { "@typescript-eslint/no-explicit-any": "off" },
    },
);
