// Every view of the console, one line each (pattern, module), and the nav. Engineers add lines.
import { addNav, register } from "./app.js";
import * as pos from "./views/pos.js";
import * as po from "./views/po.js";
import * as poForm from "./views/po_form.js";
import * as templates from "./views/templates.js";
import * as blanketPos from "./views/blanket_pos.js";
import * as invoice from "./views/invoice.js";
import * as orders from "./views/orders.js";
import * as policy from "./views/policy.js";
import * as users from "./views/users.js";

register("#/pos", pos);
register("#/pos/new", poForm);
register("#/pos/:id", po);
register("#/pos/:id/edit", poForm);
register("#/templates", templates);
register("#/orders", orders);
register("#/orders/:id", { title: "Customer order", render: orders.renderOrder });
register("#/orders/:id/invoice", invoice);
register("#/blanket-pos", blanketPos);
register("#/blanket-pos/:id", { title: "Blanket PO", render: blanketPos.renderBlanket });
register("#/admin/policy", policy);
register("#/admin/users", users);

addNav("Purchase orders", "#/pos");
addNav("Templates", "#/templates");
addNav("Customer orders", "#/orders");
addNav("Blanket POs", "#/blanket-pos");
addNav("Approval policy", "#/admin/policy", { roles: ["admin"] });
addNav("Users", "#/admin/users", { roles: ["admin"] });
