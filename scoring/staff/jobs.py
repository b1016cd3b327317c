"""A background job's page (progress, then the file or the next page), its status as JSON, and its file."""

from django.core.files.storage import storages
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from cchc_portal.lib.xlsx_write import XLSX_CONTENT_TYPE
from scoring.models import Job
from scoring.ops import jobs

E_FILE_GONE = "Tệp kết quả của việc “{title}” không còn (tệp được giữ trong ít ngày). Xin yêu cầu lại."


def _job(request, pk) -> Job:
    """The job, if this visitor may see it: its owner, or anyone for a job on published data. 404 otherwise."""
    job = Job.objects.using(jobs.PRIMARY).filter(pk=pk).first()
    if job is None or (job.owner_id is not None and job.owner_id != request.user.pk):
        raise Http404("Không có việc này, hoặc việc này không phải của bạn.")
    return jobs.state(job)


def _status(job: Job) -> dict:
    return {
        "status": job.status,
        "status_label": job.get_status_display(),
        "done": job.done,
        "total": job.total,
        "percent": job.percent,
        "message": job.message,
        "finished": job.finished,
        "download": reverse("job_download", args=[job.pk]) if job.file else "",
        "next": job.next_url,
    }


@require_safe
@never_cache
def job_page(request, pk):
    job = _job(request, pk)
    return render(request, "job.html", {"job": job, "state": _status(job)})


@require_safe
@never_cache
def job_status(request, pk):
    return JsonResponse(_status(_job(request, pk)), json_dumps_params={"ensure_ascii": False})


@require_safe
@never_cache
def job_download(request, pk):
    job = _job(request, pk)
    if job.status != Job.Status.DONE or not job.file:
        raise Http404("Việc này chưa có tệp kết quả.")
    try:
        handle = storages["default"].open(job.file, "rb")
    except FileNotFoundError:
        return render(request, "404.html", {"message": E_FILE_GONE.format(title=job.title)}, status=404)
    handle.open()  # fetched in the view: an object store that fails answers the 503 page, not a cut download
    return FileResponse(handle, as_attachment=True, filename=job.download_name, content_type=XLSX_CONTENT_TYPE)
