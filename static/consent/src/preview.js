// Preview mode (`preview: true` in the configuration, set only by the console's banner editor,
// which runs the real runtime with a draft configuration in a sandboxed frame): nothing leaves
// the page and nothing is stored. Decisions and cookie reports are not sent, a choice is not
// stored or applied (the banner shows again), and the dialog's details come with the
// configuration instead of from the platform.

/** `post` unless previewing; then a stand-in that sends nothing. */
export const sender = (config, post) => (config.preview ? () => Promise.resolve({ ok: true }) : post);

/** `decide` unless previewing; then `again` (show the banner again). */
export const decider = (config, decide, again) => (config.preview ? again : decide);

/** The details given with a preview configuration, else undefined. */
export const givenDetails = (config) => config.preview && config.details && Promise.resolve(config.details);
