// The API docs: both specs in Swagger UI, "Try it out" against this server.
// Runs after swagger-ui-bundle.js and its standalone preset (all three `defer`, so in order);
// what it needs from the server is in the page's data- attributes, never in an inline script.
"use strict";

(() => {
  const root = document.getElementById("swagger-ui");
  const { urls, clientId, clientSecret } = root.dataset;
  const ui = SwaggerUIBundle({
    domNode: root,
    urls: JSON.parse(urls),
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: "StandaloneLayout",
    queryConfigEnabled: false, // no ?url= or ?configUrl= that points the page elsewhere
    validatorUrl: null, // the default badge asks validator.swagger.io about the spec
    persistAuthorization: false, // a token lives as long as the page, never in localStorage
    tryItOutEnabled: true,
  });
  if (clientId) {
    ui.initOAuth({ clientId, clientSecret });
  }
})();
