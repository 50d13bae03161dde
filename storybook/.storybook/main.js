// Hand-written: `storybook init` cannot run offline (it downloads templates
// from the public registry directly).
export default {
  stories: ["../stories/**/*.stories.js"],
  framework: { name: "@storybook/web-components-vite", options: {} },
  core: { disableTelemetry: true, disableWhatsNewNotifications: true },
  viteFinal: async (config) => {
    // the widget's glue loads its .wasm with new URL(…, import.meta.url): keep it out of pre-bundling
    config.optimizeDeps = { ...(config.optimizeDeps || {}), exclude: ["kyc-verify-dist"] };
    return config;
  },
};
