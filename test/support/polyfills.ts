import '../../functions/shared/polyfills.js';
