// The client of the seed's tutorial (simplejwt + axios, without axios): the
// tokens live in localStorage, every call carries `Authorization: Bearer`, a
// 401 triggers one refresh and one retry, and a dead refresh token means
// logging in again. It talks to Tessera on another origin, through CORS.
"use strict";

const API = new URLSearchParams(location.search).get("api") ?? "http://127.0.0.1:3100";
const $ = (id) => document.getElementById(id);
// For the tests: how many times the access token was refreshed.
window.refreshes = 0;

function show(loggedIn, status = "") {
  $("login").hidden = loggedIn;
  $("home").hidden = !loggedIn;
  $("status").textContent = status;
}

function postJson(path, body) {
  return fetch(API + path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
}

async function refreshAccess() {
  const refresh = localStorage.getItem("refresh");
  if (!refresh) return false;
  const response = await postJson("/api/token/refresh/", { refresh });
  if (!response.ok) {
    localStorage.removeItem("access");
    localStorage.removeItem("refresh");
    return false;
  }
  const tokens = await response.json();
  localStorage.setItem("access", tokens.access);
  // With rotation the server sends a new refresh token too.
  if (tokens.refresh) localStorage.setItem("refresh", tokens.refresh);
  window.refreshes += 1;
  return true;
}

/** GET with the access token; on 401, refresh once and retry once. */
async function authorizedGet(path, retried = false) {
  const response = await fetch(API + path, {
    headers: { Authorization: `Bearer ${localStorage.getItem("access")}` },
  });
  if (response.status === 401 && !retried && (await refreshAccess())) {
    return authorizedGet(path, true);
  }
  return response;
}

$("login").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  try {
    const response = await postJson("/api/token/", {
      username: form.get("username"),
      password: form.get("password"),
    });
    const body = await response.json();
    if (!response.ok) return show(false, body.detail);
    localStorage.setItem("access", body.access);
    localStorage.setItem("refresh", body.refresh);
    show(true);
  } catch (error) {
    // A CORS refusal surfaces as a network error, with no status to read.
    show(false, `Could not reach the API: ${error.message}`);
  }
});

$("hello").addEventListener("click", async () => {
  const response = await authorizedGet("/hello/");
  if (response.status === 401) {
    $("message").textContent = "";
    return show(false, "Your session has ended: log in again.");
  }
  $("message").textContent = (await response.json()).message;
});

$("logout").addEventListener("click", async () => {
  const refresh = localStorage.getItem("refresh");
  const response = await postJson("/api/token/blacklist/", { refresh });
  localStorage.removeItem("access");
  localStorage.removeItem("refresh");
  $("message").textContent = "";
  show(false, response.ok ? "Logged out." : `Logout failed: ${response.status}`);
});

show(Boolean(localStorage.getItem("refresh")));
