// app-coupling: the stack's config picks how generator and echo are coupled.
//   components/config.ts     every config key, validated before anything is created
//   components/images.ts     builds and pushes only the images the coupling runs
//   components/site.ts       the cluster: provider, namespace, identity, echo Service
//   components/couplings/    one component per coupling: container, pod, volume, service, clusters
//   components/program.ts    wires them together
import { loadConfig } from "./components/config";
import { deployStack, presentOutputs } from "./components/program";

// The stack outputs (components/program.ts, StackOutputs): coupling, namespace, endpoint,
// images, builtImages, portForward, and where the coupling has them externalUrl,
// generatorUrl, claim. One object holding only the outputs that exist, since Pulumi warns
// about every exported output that is undefined; Pulumi runs an exported function and
// awaits its result.
export = () => presentOutputs(deployStack(loadConfig()));
