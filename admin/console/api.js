// Calls to the admin endpoint from the page. Requests are same-origin, so a
// browser that logged in with Basic auth sends the same credentials.

export class ApiError extends Error {
  constructor(path, status, message) {
    super(`${path}: ${status ? `HTTP ${status}` : 'no answer'}${message ? ` — ${message}` : ''}`);
    this.path = path;
    this.status = status;
  }
}

async function request(path) {
  let response;
  try {
    response = await fetch(path, { credentials: 'same-origin', cache: 'no-store' });
  } catch (err) {
    throw new ApiError(path, 0, err.message);
  }
  return response;
}

export async function getJson(path) {
  const response = await request(path);
  if (!response.ok) {
    let message = '';
    try {
      message = (await response.json()).error || '';
    } catch {
      // not JSON: the status says enough
    }
    throw new ApiError(path, response.status, message);
  }
  return response.json();
}

// GET /metrics as text; null when the endpoint does not exist (404).
export async function getMetricsText() {
  const response = await request('/metrics');
  if (response.status === 404) return null;
  if (!response.ok) throw new ApiError('/metrics', response.status, '');
  return response.text();
}
