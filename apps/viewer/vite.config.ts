import { defineConfig } from 'vite';

// Served on 127.0.0.1 only; WebGPU needs a secure context, which localhost addresses are over plain http.
export default defineConfig({
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
  build: {
    target: 'es2022',
    // The built-in MNIST digits are ten JSON chunks of about 2 MB each, fetched only when the live search starts.
    chunkSizeWarningLimit: 2600,
  },
});
