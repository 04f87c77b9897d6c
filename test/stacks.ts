// The stack-file reader lives in lib/stacks.ts (shared with the render tool).
export { ESC_STAND_IN, readStackFile, REPO, type StackFile, stackFiles, standInStackOutputs } from "../lib/stacks";
