// /c/tcf-stub.js: the stub alone, for the page's <head>, before any vendor tag.
import { installStub } from "./stub.js";

installStub(window);
