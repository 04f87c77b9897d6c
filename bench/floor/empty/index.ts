// bench:deploy's reference floor: nothing but the engine, the language host and Node.
export const x = 1;
