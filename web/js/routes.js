// Every view of the console, one line each (pattern, module), and the nav. Engineers add lines.
import { addNav, register } from "./app.js";
import * as pos from "./views/pos.js";
import * as po from "./views/po.js";
import * as poForm from "./views/po_form.js";
import * as templates from "./views/templates.js";

register("#/pos", pos);
register("#/pos/new", poForm);
register("#/pos/:id", po);
register("#/pos/:id/edit", poForm);
register("#/templates", templates);

addNav("Purchase orders", "#/pos");
addNav("Templates", "#/templates");
