import { loadServiceDependencies } from '../../src/service-dependencies.js';
import { createRpcHandler } from './rpc-api.js';

// Config, secrets and clients load once per cold start, outside the request path.
const dependencies = await loadServiceDependencies();

export const handler = createRpcHandler(dependencies);
