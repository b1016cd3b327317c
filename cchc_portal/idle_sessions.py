"""Sessions that end after SESSION_COOKIE_AGE seconds of idleness, written at most once a minute.

Django's way to an idle timeout, SESSION_SAVE_EVERY_REQUEST, writes the session on every request to move its
expiry (now + SESSION_COOKIE_AGE): a row UPDATE (or a Redis SET) on every page, about a quarter of the entry
sheet's time. Here the session keeps when it was last written (`SEEN`, whole seconds) and is written again only
when that is at least `write_every()` seconds old (or when the request changed the session anyway). The store
still ends a session SESSION_COOKIE_AGE after its last write, so a session idle for the whole limit always ends; one
idle a little less may end up to `write_every()` seconds early (`seconds_left` tells the page when): a minute, or a
tenth of a shorter limit — written once a minute, a session of a one-minute limit ended while in use.
"""

import time

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.sessions.middleware import SessionMiddleware

SEEN = "_seen"  # when the session was last written (Unix time, whole seconds)
WRITE_EVERY = 60  # seconds: a request later than this after the last write moves the expiry


def write_every() -> int:
    """Seconds after its last write that a request writes the session again: WRITE_EVERY, or a tenth of an idle
    limit shorter than ten minutes, so that a session ends at most that much early."""
    return min(WRITE_EVERY, settings.SESSION_COOKIE_AGE // 10)


def touch(session, now: int | None = None) -> None:
    """Mark the session to be saved when its expiry should move: it was changed, it has no stamp yet, or its stamp
    is `write_every()` seconds old (or from the future: a clock set back). A session that is empty, or whose key the
    store no longer knows (it expired), is left alone — nothing to keep alive, nothing to create."""
    if not (session.session_key or session.modified):
        return
    accessed = session.accessed
    seen = session.get(SEEN)  # reads the stored session: an unknown or expired key becomes an empty session here
    session.accessed = accessed  # reading it for this must not add "Vary: Cookie" to a page that did not
    if session.is_empty():
        return
    now = int(time.time()) if now is None else now
    if session.modified or not isinstance(seen, int) or not 0 <= now - seen < write_every():
        session[SEEN] = now


def stamp_at_login(sender, request=None, **kwargs) -> None:
    """user_logged_in: a login writes its new session; it carries its stamp, so the next request need not write it
    again (connected in scoring.apps)."""
    if request is not None and hasattr(request, "session"):
        request.session[SEEN] = int(time.time())


def seconds_left(session, now: float | None = None) -> int:
    """Seconds until the session ends if nothing else is asked: SESSION_COOKIE_AGE after its last write (the
    whole limit for a session this request will write)."""
    age = settings.SESSION_COOKIE_AGE
    seen = session.get(SEEN)
    if not isinstance(seen, int):
        return age
    now = time.time() if now is None else now
    waited = now - seen
    if not 0 <= waited < write_every():
        return age
    return max(0, int(age - waited))


class IdleSessionMiddleware(SessionMiddleware):
    """Django's SessionMiddleware, which saves a session when it was changed; `touch` changes it once a minute."""

    def process_response(self, request, response):
        session = getattr(request, "session", None)
        if session is not None and response.status_code < 500:
            touch(session)
            # Sent away (to the login page) for want of a session it had: not a sign-out, which empties its own.
            if response.status_code == 302 and not session.modified and ended(request):
                response.set_cookie(
                    ENDED_COOKIE, "1", max_age=600, secure=settings.SESSION_COOKIE_SECURE, httponly=True, samesite="Lax"
                )
        return super().process_response(request, response)


ENDED_COOKIE = "phien_het"  # set on the redirect away from a page whose session had ended; read by the login page


def ended(request) -> bool:
    """The browser still carries a session cookie the store no longer knows (or holds nothing under): the session
    ended while the person was away. Signing out deletes the cookie, so this is not said after a sign-out."""
    return bool(request.COOKIES.get(settings.SESSION_COOKIE_NAME)) and request.session.is_empty()


class SignInView(auth_views.LoginView):
    """Django's login page, which also says why it is shown when an idle session has just ended: the request that
    found it ended was sent here with a cookie that says so (the session cookie itself is deleted by then)."""

    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        request = self.request
        ended_now = request.method == "GET" and (request.COOKIES.get(ENDED_COOKIE) == "1" or ended(request))
        return super().get_context_data(**kwargs) | {"session_ended": ended_now}

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        if ENDED_COOKIE in request.COOKIES:
            response.delete_cookie(ENDED_COOKIE, samesite="Lax")  # said once
        return response
