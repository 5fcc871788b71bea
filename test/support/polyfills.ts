import '../../local/workflow/polyfills.js';
