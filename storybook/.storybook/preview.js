export default {
  parameters: { layout: "padded", controls: { expanded: true } },
};
