// The browser page (src/web/): `npm run build:web` writes static files to dist/web/ that work
// from any static host (relative URLs, no server code); `f4emu web` serves them on 127.0.0.1.
import { defineConfig } from 'vite';

export default defineConfig({
  root: 'src/web',
  base: './',
  clearScreen: false,
  build: {
    outDir: '../../dist/web',
    emptyOutDir: true,
    target: 'es2022',
    // The demo's ELF stays a file of its own (fetched at start), not a data: URL.
    assetsInlineLimit: 0,
    reportCompressedSize: false,
  },
  worker: { format: 'es' },
  server: { host: '127.0.0.1', fs: { allow: ['../..'] } },
  preview: { host: '127.0.0.1' },
});
