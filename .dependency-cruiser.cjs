/**
 * Architecture rules, checked by `npm run lint:arch` in CI. Dependencies point inward:
 *   cli → runtime → (models | learn) → inference → (delegates | tasks | image | audio | explain) → util, errors
 *   cli, runtime → fleet (deployment documents, health gates, the controller) → transport, trust, util, errors
 * delegates, sensors and transport never import each other; FFI (koffi) only in delegates/ and the sd_notify
 * binding; outside code reaches delegates/ and sensors/ only through their index.ts.
 */
const layer = (name) => `^src/${name}/`;
const not = (...names) => names.map(layer);

module.exports = {
  forbidden: [
    { name: 'no-cycles', severity: 'error', comment: 'no import cycles, between modules or folders', from: {}, to: { circular: true } },
    { name: 'no-unresolvable', severity: 'error', from: {}, to: { couldNotResolve: true } },
    {
      name: 'delegates-stand-alone',
      severity: 'error',
      comment: 'engines know nothing of capture, transport, the daemon or the model store',
      from: { path: layer('delegates') },
      to: { path: not('sensors', 'transport', 'runtime', 'cli', 'models', 'inference', 'trust', 'tasks', 'audio', 'image', 'fleet') },
    },
    {
      name: 'sensors-stand-alone',
      severity: 'error',
      from: { path: layer('sensors') },
      to: { path: not('delegates', 'transport', 'runtime', 'cli', 'models', 'inference', 'trust', 'tasks', 'audio', 'image', 'fleet') },
    },
    {
      name: 'transport-stand-alone',
      severity: 'error',
      from: { path: layer('transport') },
      to: { path: not('delegates', 'sensors', 'runtime', 'cli', 'models', 'inference', 'trust', 'tasks', 'audio', 'image', 'fleet') },
    },
    {
      name: 'pure-leaves',
      severity: 'error',
      comment: 'tasks, image, audio, explain, util and trust are leaves: pure decoders, pixels, features, saliency methods, helpers, signatures',
      from: { path: '^src/(tasks|image|audio|explain|util|trust)/' },
      to: { path: not('delegates', 'sensors', 'transport', 'runtime', 'cli', 'models', 'inference', 'fleet') },
    },
    {
      name: 'fleet-below-runtime',
      severity: 'error',
      comment: 'the fleet protocol and controller run on a laptop without the daemon: only transport (topics, mqtt), trust and util',
      from: { path: layer('fleet') },
      to: { path: not('delegates', 'sensors', 'runtime', 'cli', 'models', 'inference', 'tasks', 'image', 'audio', 'explain') },
    },
    {
      name: 'inference-below-models',
      severity: 'error',
      from: { path: layer('inference') },
      to: { path: not('sensors', 'transport', 'runtime', 'cli', 'models', 'trust', 'fleet') },
    },
    {
      name: 'models-below-runtime',
      severity: 'error',
      from: { path: layer('models') },
      to: { path: not('sensors', 'transport', 'runtime', 'cli', 'fleet') },
    },
    {
      name: 'learn-below-runtime',
      severity: 'error',
      comment: 'learn/ (weight imprinting, model writing) uses engines and images; the daemon and CLI call it',
      from: { path: '^src/(learn|evaluation)/' },
      to: { path: not('sensors', 'transport', 'runtime', 'cli') },
    },
    { name: 'runtime-below-cli', severity: 'error', from: { path: layer('runtime') }, to: { path: layer('cli') } },
    {
      name: 'ffi-only-in-delegates',
      severity: 'error',
      comment: 'native calls only through delegates/ (and the tiny sd_notify binding)',
      from: { path: '^src/', pathNot: ['^src/delegates/', '^src/runtime/systemd-notify\\.ts$'] },
      to: { path: 'node_modules/koffi/' },
    },
    {
      name: 'through-the-front-door',
      severity: 'error',
      comment: 'outside code imports delegates/ and sensors/ through their index.ts only',
      from: { path: '^src/', pathNot: '^src/(delegates|sensors)/' },
      to: { path: '^src/(delegates|sensors)/', pathNot: '^src/(delegates|sensors)/index\\.ts$' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.js'] },
  },
};
