// app-coupling: the stack's config picks how generator and echo are coupled.
//   components/config.ts     every config key, validated before anything is created
//   components/images.ts     builds and pushes only the images the coupling runs
//   components/site.ts       the cluster: provider, namespace, identity, echo Service
//   components/couplings/    one component per coupling: container, pod, volume, service, clusters
//   components/program.ts    wires them together
import { loadConfig } from "./components/config";
import { deployStack } from "./components/program";

const stack = deployStack(loadConfig());

export const coupling = stack.coupling;
export const namespace = stack.namespace;
export const endpoint = stack.endpoint;
export const images = stack.images;
export const externalUrl = stack.externalUrl;
export const portForward = stack.portForward;
export const generatorUrl = stack.generatorUrl;
export const claim = stack.claim;
