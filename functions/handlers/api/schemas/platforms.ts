/** Platform preset names accepted by the API: defined once by the rendering module. */
export { platformName, platformNames, type PlatformName } from '../../../domain/platforms.js';
