import { loadServiceDependencies } from '../../src/service-dependencies.js';
import { createIamHandler } from './iam-api.js';

// Config, secrets and clients load once per cold start, outside the request path.
const dependencies = await loadServiceDependencies();

export const handler = createIamHandler(dependencies);
