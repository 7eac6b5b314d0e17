const en = {
  title: "Verifier",
};

const zh: typeof en = {
  title: "核查机构",
};

export default { en, zh };
